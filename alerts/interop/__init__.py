"""The exchange in other standards' words: OASIS CAP 1.2 and HL7 FHIR R5 exports (docs/interop.md)."""
