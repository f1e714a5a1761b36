"""What every engine shares at run time: the customer unit (`customers`) and
the population statistics' one definition (`population`)."""
