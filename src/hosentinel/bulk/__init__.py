"""FHIR Bulk Data client: `$export` kick-off, polling, authorised downloads (`hosentinel bulk`)."""
