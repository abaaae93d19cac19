"""formgen: fill and check China's smart-factory (智能工厂) application forms."""

__version__ = "0.1.0"
