"""Exam entry: the motions and signs (motions), the typed exam and its checks (model), and the
HTML form read into it (form)."""
