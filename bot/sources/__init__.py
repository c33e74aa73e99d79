"""Readers for what organisers bring in from outside (registration lists, programme sheets).

They know no door and no database: they turn a file into plain rows and values, with clear
errors naming the row and the column, for the importers above them to apply.
"""
