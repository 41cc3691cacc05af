"""The synthetic cases, in their catalog order: one module per case (`case_NN.py`)."""

from __future__ import annotations

from collections.abc import Callable

from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.case_01 import case_01
from hosentinel.synthetic.cases.case_02 import case_02
from hosentinel.synthetic.cases.case_03 import case_03
from hosentinel.synthetic.cases.case_04 import case_04
from hosentinel.synthetic.cases.case_05 import case_05
from hosentinel.synthetic.cases.case_06 import case_06
from hosentinel.synthetic.cases.case_07 import case_07
from hosentinel.synthetic.cases.case_08 import case_08
from hosentinel.synthetic.cases.case_09 import case_09
from hosentinel.synthetic.cases.case_10 import case_10
from hosentinel.synthetic.cases.case_11 import case_11
from hosentinel.synthetic.cases.case_12 import case_12
from hosentinel.synthetic.cases.case_13 import case_13
from hosentinel.synthetic.cases.case_14 import case_14
from hosentinel.synthetic.cases.case_15 import case_15
from hosentinel.synthetic.cases.case_16 import case_16
from hosentinel.synthetic.cases.case_17 import case_17
from hosentinel.synthetic.cases.case_18 import case_18
from hosentinel.synthetic.cases.case_19 import case_19
from hosentinel.synthetic.cases.case_20 import case_20
from hosentinel.synthetic.cases.case_21 import case_21
from hosentinel.synthetic.cases.case_22 import case_22
from hosentinel.synthetic.cases.case_23 import case_23
from hosentinel.synthetic.cases.case_24 import case_24
from hosentinel.synthetic.cases.case_25 import case_25
from hosentinel.synthetic.cases.case_26 import case_26
from hosentinel.synthetic.cases.case_27 import case_27

CASES: tuple[Callable[[], Case], ...] = (
    case_01,
    case_02,
    case_03,
    case_04,
    case_05,
    case_06,
    case_07,
    case_08,
    case_09,
    case_10,
    case_11,
    case_12,
    case_13,
    case_14,
    case_15,
    case_16,
    case_17,
    case_18,
    case_19,
    case_20,
    case_21,
    case_22,
    case_23,
    case_24,
    case_25,
    case_26,
    case_27,
)
