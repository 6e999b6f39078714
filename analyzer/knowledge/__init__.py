"""This project's tracker signature database (YAML data in this package) and its loader."""

from analyzer.knowledge.loader import Knowledge, load_knowledge, read_knowledge
from analyzer.knowledge.model import CATEGORIES, Company, Product, RequestSignature

__all__ = [
    "CATEGORIES",
    "Company",
    "Knowledge",
    "Product",
    "RequestSignature",
    "load_knowledge",
    "read_knowledge",
]
