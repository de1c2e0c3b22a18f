"""The guideline checker: rules from `rules/`, run over a draft tokenized once."""

from gateway.checker.checker import Checker
from gateway.checker.context import CheckContext
from gateway.checker.engine import RuleLoadError
from gateway.checker.report import exit_code, format_json, format_text

__all__ = ["CheckContext", "Checker", "RuleLoadError", "exit_code", "format_json", "format_text"]
