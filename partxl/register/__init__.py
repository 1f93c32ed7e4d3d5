"""The register: the model of one partnership's row (``model``) and reading a register file (``read``).

Writing the register workbook is an output (``partxl.outputs.register``).
"""
