"""segdsl: a customer-segmentation rules language and compiler."""
__version__ = "0.1.0"
