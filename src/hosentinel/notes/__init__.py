"""Reading clinical notes: HO signs, motion, imaging and duplex results from free text.

`NoteReader` (FHIR DocumentReference / DiagnosticReport -> Observations with the sentence as
evidence), `read_text` (text -> findings), `settle` (coded findings win; copied-forward text counts
once). The linguistics are medspaCy's (ConText); the words are knowledge data
(`knowledge/data/notes/vocabulary.yaml`). Nothing here touches the network.
"""
