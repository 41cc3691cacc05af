"""The family view's own words, in English and Spanish: the stage in plain words, the signs to
watch for, the "when to call" box, the population an HO risk comes from, and the Spanish
information sheets at two levels.

Basis. Everything here restates what the English education modules of the knowledge base
(knowledge/data/education/, with their citations) and the project's clinical notes say:
- the stages, signs and the swollen-leg warning: the education modules and signs.yaml;
- "call 911 for chest pain or trouble breathing": a blood clot in the leg (DVT), which travels
  with HO, can move to the lungs (pulmonary embolism), and "DVT/PE is life-threatening"
  (../shared/clinical/diagnosis-and-treatment.md, "DVT in detail": Korean J Neurotrauma
  2015;11(2):158-61, doi:10.13004/kjnt.2015.11.2.158; HO and DVT together: Colachis & Clinchot,
  Paraplegia 1993;31(8):507-12, doi:10.1038/sc.1993.82). Chest pain and trouble breathing are
  the signs of a clot in the lungs that call for an ambulance.
The Spanish texts are the project's translation of the English sheets; like them, they must be
reviewed by the local team (and a qualified medical translator) before use. Reading levels of
both languages are measured in tests/app/test_family_content.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")


def pick_lang(query: str | None, accept_language: str | None) -> Lang:
    """`?lang=` first, then the browser's Accept-Language (highest q first), else English."""
    if query in LANGS:
        return query
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((q, tag.strip().lower()[:2]))
    for _, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag in LANGS:
            return tag
    return "en"


# UI words of the family view and handout.
UI: dict[Lang, dict[str, str]] = {
    "en": {
        "title": "Information for you and your family",
        "about": "About",
        "joint": "Joint the team is watching",
        "joints_none": "The team checks the hip, knee, elbow and shoulder.",
        "stage_now": "Where things are now",
        "team": "Your care team",
        "call_team": "Call the team",
        "no_phone": "Ask the unit for the team's phone number.",
        "urgent_title": "When to call",
        "call_911": "Call 911 now if there is",
        "call_911_items": "chest pain|trouble breathing",
        "call_911_why": "A blood clot in the leg can move to the lungs. That is an emergency.",
        "call_team_today": "Call the team the same day if there is",
        "more": "More detail",
        "watch": "What to watch for",
        "tell_team": "Tell the care team if you notice:",
        "ask": "Please ask the team any questions, at any time.",
        "pdf": "Print or save this information (PDF)",
        "large": "Larger text",
        "normal": "Normal text",
        "language": "Language",
        "footer": "This is general information, not advice about one person's care. The care team"
        " can answer your questions.",
        "reviewed": "Reviewed by",
        "find": "Find a physiatrist near you",
        "find_text": "A physiatrist is a doctor of physical medicine and rehabilitation. Enter your"
        " ZIP code to see physiatrists near home.",
        "zip": "Your ZIP code",
        "find_button": "Find a physiatrist",
        "translation": "",
    },
    "es": {
        "title": "Información para usted y su familia",
        "about": "Sobre",
        "joint": "Articulación que el equipo vigila",
        "joints_none": "El equipo revisa la cadera, la rodilla, el codo y el hombro.",
        "stage_now": "Cómo van las cosas ahora",
        "team": "Su equipo de atención",
        "call_team": "Llame al equipo",
        "no_phone": "Pida en la unidad el número de teléfono del equipo.",
        "urgent_title": "Cuándo llamar",
        "call_911": "Llame al 911 ahora si hay",
        "call_911_items": "dolor en el pecho|dificultad para respirar",
        "call_911_why": "Un coágulo de sangre en la pierna puede ir a los pulmones. Es una"
        " emergencia.",
        "call_team_today": "Llame al equipo el mismo día si hay",
        "more": "Más detalles",
        "watch": "Qué vigilar",
        "tell_team": "Avise al equipo si nota:",
        "ask": "Puede hacer preguntas al equipo en cualquier momento.",
        "pdf": "Imprimir o guardar esta información (PDF)",
        "large": "Letra más grande",
        "normal": "Letra normal",
        "language": "Idioma",
        "footer": "Esta es información general, no un consejo sobre la atención de una persona. El"
        " equipo puede contestar sus preguntas.",
        "reviewed": "Revisado por",
        "find": "Busque un fisiatra cerca de usted",
        "find_text": "Un fisiatra es un médico de medicina física y rehabilitación. Escriba su"
        " código postal para ver fisiatras cerca de su casa.",
        "zip": "Su código postal",
        "find_button": "Buscar un fisiatra",
        "translation": "Traducción del texto en inglés. El equipo local debe revisarla.",
    },
}

# Each stage in plain words: (name, one sentence). The stages are the engine's (core/education).
STAGES: dict[Lang, dict[str, tuple[str, str]]] = {
    "en": {
        "at-risk": (
            "Watching closely",
            "No extra bone has been found. The team checks the joints regularly during the"
            " months when it can start.",
        ),
        "suspected": (
            "Being checked",
            "The team has seen signs that extra bone may be forming and is doing tests to find"
            " out.",
        ),
        "active": (
            "Extra bone is forming",
            "Extra bone has been found near a joint, and it may still be growing.",
        ),
        "maturing": (
            "The extra bone is settling",
            "The extra bone is growing more slowly or has stopped growing.",
        ),
        "before-surgery": (
            "Getting ready for surgery",
            "The team is thinking about an operation to remove the extra bone.",
        ),
        "after-surgery": (
            "After surgery",
            "The extra bone has been removed. Healing and exercise come next.",
        ),
    },
    "es": {
        "at-risk": (
            "Vigilando de cerca",
            "No se ha encontrado hueso de más. El equipo revisa las articulaciones con"
            " frecuencia en los meses en que puede empezar.",
        ),
        "suspected": (
            "Haciendo pruebas",
            "El equipo ha visto señales de que puede estar creciendo hueso de más. Hace pruebas"
            " para saberlo.",
        ),
        "active": (
            "Está creciendo hueso de más",
            "Se encontró hueso de más cerca de una articulación. Puede que siga creciendo.",
        ),
        "maturing": (
            "El hueso de más se está calmando",
            "El hueso de más crece más despacio o ya no crece.",
        ),
        "before-surgery": (
            "Preparando la cirugía",
            "El equipo piensa en una operación para quitar el hueso de más.",
        ),
        "after-surgery": (
            "Después de la cirugía",
            "Ya se quitó el hueso de más. Ahora vienen la curación y el ejercicio.",
        ),
    },
}
NO_STAGE: dict[Lang, tuple[str, str]] = {
    "en": (
        "No information sheet yet",
        "There is no information sheet for this stage yet. Please ask the care team.",
    ),
    "es": (
        "Todavía no hay hoja de información",
        "Todavía no hay hoja para esta etapa. Pregunte al equipo.",
    ),
}

# The bedside signs of the knowledge base (signs.yaml), in plain words.
SIGNS: dict[Lang, dict[str, str]] = {
    "en": {
        "rom-loss": "A joint that gets stiffer or harder to move",
        "pain": "New pain or tenderness near a joint",
        "swelling": "Swelling around a joint",
        "warmth": "A joint that feels warm",
        "redness": "Redness over a joint",
        "fever": "A fever",
    },
    "es": {
        "rom-loss": "Una articulación más rígida o más difícil de mover",
        "pain": "Dolor nuevo cerca de una articulación",
        "swelling": "Hinchazón alrededor de una articulación",
        "warmth": "Una articulación que se siente caliente",
        "redness": "Piel roja sobre una articulación",
        "fever": "Fiebre",
    },
}
SWOLLEN_LIMB: dict[Lang, str] = {
    "en": "A leg or arm that is newly swollen. It must be checked for a blood clot.",
    "es": "Una pierna o un brazo que se hinchó hace poco. Hay que revisar si hay un coágulo.",
}

# Where the risk comes from, for "after ..." (index event kinds of the engine). An elective hip
# replacement is not "a big injury".
POPULATION: dict[Lang, dict[str, str]] = {
    "en": {
        "sci": "a spinal cord injury",
        "tbi": "a brain injury",
        "stroke": "a stroke",
        "burn": "a bad burn",
        "fracture": "a broken bone",
        "arthroplasty": "a joint replacement",
        "blast": "a blast injury",
    },
    "es": {
        "sci": "una lesión de la médula espinal",
        "tbi": "una lesión del cerebro",
        "stroke": "un derrame cerebral",
        "burn": "una quemadura grave",
        "fracture": "un hueso roto",
        "arthroplasty": "un reemplazo de articulación",
        "blast": "una lesión por explosión",
    },
}
SURGERY_KINDS = frozenset({"arthroplasty"})


def for_population(text: str, kind: str | None) -> str:
    """An English module's generic "after a big injury" said for this person's event."""
    if kind is None or kind not in POPULATION["en"]:
        return text
    phrase = POPULATION["en"][kind]
    text = text.replace("After a big injury", f"After {phrase}").replace(
        "after a serious injury", f"after {phrase}"
    )
    if kind in SURGERY_KINDS:
        text = text.replace("after the injury", "after the surgery")
    return text


JOINT_WORDS: dict[Lang, dict[str, str]] = {
    "en": {"hip": "hip", "knee": "knee", "elbow": "elbow", "shoulder": "shoulder"},
    "es": {"hip": "cadera", "knee": "rodilla", "elbow": "codo", "shoulder": "hombro"},
}
SIDE_WORDS: dict[Lang, dict[str, str]] = {
    "en": {"left": "left", "right": "right"},
    "es": {"left": "izquierda", "right": "derecha"},
}


def joint_words(lang: Lang, joint: str, side: str | None) -> str:
    j = JOINT_WORDS[lang].get(joint, joint)
    if side is None:
        return f"the {j}" if lang == "en" else j
    s = SIDE_WORDS[lang].get(side, side)
    if lang == "es":
        if j in ("codo", "hombro"):  # masculine nouns
            s = s.replace("izquierda", "izquierdo").replace("derecha", "derecho")
        return f"{j} {s}"
    return f"the {s} {j}"


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    body: str


# The Spanish information sheets, at two levels, by stage: translations of the English
# modules' content (knowledge/data/education/<stage>.yaml), written in short sentences.
SPANISH: dict[str, tuple[Sheet, Sheet]] = {
    "at-risk": (
        Sheet(
            "Hueso que crece donde no debe: qué vigilar",
            "A veces crece hueso donde no debe. Crece en la parte blanda cerca de una"
            " articulación. Se llama osificación heterotópica, u OH.\n\n"
            "El equipo cree que usted tiene más riesgo. Eso no quiere decir que le va a pasar."
            " Quiere decir que lo vamos a vigilar.\n\n"
            "Pasa más en la cadera, la rodilla, el codo o el hombro. Puede empezar entre 2"
            " semanas y 12 meses después.\n\n"
            "Si una pierna se hincha, avise al equipo ya. La OH y un coágulo en la pierna"
            " suelen ir juntos.\n\n"
            "El equipo revisa sus articulaciones a menudo. El ejercicio suave ayuda.",
        ),
        Sheet(
            "Por qué el equipo vigila sus articulaciones",
            "A veces el cuerpo hace hueso nuevo donde no debe. Crece en el músculo cerca de una"
            " articulación. Los médicos lo llaman osificación heterotópica. Quiere decir hueso"
            " en el lugar equivocado.\n\n"
            "Puede pasar después de una lesión de la médula o del cerebro. También después de"
            " un derrame, una quemadura grave, un hueso roto o un reemplazo de articulación."
            " Las señales pueden empezar a las 2 semanas y hasta 12 meses después.\n\n"
            "Algunas cosas suben el riesgo. Por ejemplo, un hueso largo roto, estar mucho"
            " tiempo quieto, una pierna hinchada o llagas por presión. Muchas personas con"
            " estos riesgos nunca tienen OH. Vigilar de cerca ayuda a encontrarla pronto.\n\n"
            "Algunas personas no tienen señales. Por eso el equipo revisa sus articulaciones"
            " con un plan.",
        ),
    ),
    "suspected": (
        Sheet(
            "El equipo está revisando una articulación",
            "El equipo vio señales de que puede estar creciendo hueso de más cerca de una"
            " articulación. Todavía no es seguro.\n\n"
            "Para saberlo, el equipo puede pedir pruebas. Una prueba de hueso con una"
            " cámara especial puede verlo pronto. Una radiografía lo ve más tarde.\n\n"
            "Si una pierna está hinchada, el equipo revisa primero si hay un coágulo.\n\n"
            "Siga moviendo la articulación con suavidad, como le diga el equipo.",
        ),
        Sheet(
            "Qué pasa mientras el equipo hace pruebas",
            "El equipo notó cambios en una articulación. Puede ser rigidez, dolor, calor o"
            " hinchazón. Estas señales pueden venir de hueso de más. También pueden venir de"
            " otras cosas, como un coágulo, una infección o un hueso roto.\n\n"
            "Por eso el equipo busca primero lo más urgente. Si una pierna está hinchada,"
            " revisa si hay un coágulo. Los análisis de sangre ayudan, pero no dan la"
            " respuesta. Una prueba de hueso puede mostrar el hueso nuevo semanas antes que"
            " una radiografía.\n\n"
            "Mientras tanto, el equipo le dirá cómo mover la articulación sin forzarla.",
        ),
    ),
    "active": (
        Sheet(
            "Está creciendo hueso de más",
            "Se encontró hueso de más cerca de una articulación. Puede que siga creciendo.\n\n"
            "La terapia ayuda a mantener la articulación en movimiento. El equipo puede"
            " ofrecer un medicamento.\n\n"
            "Avise al equipo si la articulación se pone más rígida o más dolorosa.\n\n"
            "Si una pierna se hincha, avise ya. Hay que revisar si hay un coágulo.",
        ),
        Sheet(
            "Qué pasa cuando el hueso de más está creciendo",
            "El hueso de más se forma en el tejido blando cerca de una articulación. Mientras"
            " crece, la zona puede doler, estar caliente o hinchada.\n\n"
            "La terapia física y ocupacional ayuda a mantener el movimiento y a bajar el"
            " dolor. El equipo puede ofrecer un medicamento antiinflamatorio o uno para el"
            " hueso. Los análisis de sangre no confirman la OH.\n\n"
            "El dolor y la hinchazón pueden calmarse con el tiempo. Pero el hueso puede"
            " causar llagas, presión en los nervios o menos movimiento. Si el hueso limita"
            " moverse o cuidarse, el equipo puede hablar con un cirujano.",
        ),
    ),
    "maturing": (
        Sheet(
            "El hueso de más se está calmando",
            "El hueso de más crece más despacio o ya no crece.\n\n"
            "Siga con la terapia. Ayuda a mantener el movimiento.\n\n"
            "El equipo revisa el hueso con pruebas a lo largo del tiempo.",
        ),
        Sheet(
            "Cuando el hueso de más deja de crecer",
            "Con el tiempo, el hueso de más deja de crecer. Los médicos dicen que madura. El"
            " equipo lo sabe con radiografías que no cambian y con otras pruebas.\n\n"
            "Si el hueso limita moverse o cuidarse, se puede pensar en una cirugía. Por lo"
            " general se espera a que el hueso madure. Así es menos probable que vuelva.\n\n"
            "Mientras tanto, la terapia ayuda a mantener el movimiento que tiene.",
        ),
    ),
    "before-surgery": (
        Sheet(
            "Antes de la cirugía",
            "El equipo piensa en una operación para quitar el hueso de más.\n\n"
            "La cirugía puede ayudar a mover mejor la articulación.\n\n"
            "Pregunte al equipo qué pasa antes y después de la operación.",
        ),
        Sheet(
            "Prepararse para la cirugía",
            "La cirugía quita el hueso de más para que la articulación se mueva mejor. El"
            " cirujano usa pruebas de imagen para planearla.\n\n"
            "El hueso de más puede volver a crecer después. El equipo puede usar medicamento"
            " o radiación para bajar ese riesgo.\n\n"
            "Haga una lista de preguntas para el equipo. Pregunte qué ejercicios hará después.",
        ),
    ),
    "after-surgery": (
        Sheet(
            "Después de la cirugía",
            "Ya se quitó el hueso de más. Ahora vienen la curación y el ejercicio.\n\n"
            "Mover la articulación con suavidad ayuda a no perder lo que ganó.\n\n"
            "Avise al equipo si hay dolor nuevo, calor, hinchazón o fiebre.",
        ),
        Sheet(
            "La recuperación después de la cirugía",
            "Después de la operación, el objetivo es mantener el movimiento que se ganó. La"
            " terapia empieza pronto y sigue un plan.\n\n"
            "El hueso de más puede volver. Por eso el equipo sigue revisando la"
            " articulación.\n\n"
            "Avise al equipo si la articulación se pone rígida otra vez, o si hay dolor,"
            " calor, hinchazón o fiebre. Si una pierna se hincha, avise ya.",
        ),
    ),
}
