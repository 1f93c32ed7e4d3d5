"""What people read: the register workbook, the validation report, the committee summary, the public
register and the reminders; ``write`` builds a consolidation's three workbooks side by side."""
