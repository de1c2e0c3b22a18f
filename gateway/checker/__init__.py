"""The guideline checker: rules from `rules/`, run over a draft tokenized once."""
