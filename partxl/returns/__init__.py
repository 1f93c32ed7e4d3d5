"""Returns: opening a returned workbook (``read``), checking it (``validate``), the ledger of every file,
collecting a folder (``collect``) into results, and each officer's status."""
