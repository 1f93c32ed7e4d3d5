"""The forms of the Partnership Policy as data: definitions, the table of field types, layout and rules.

Nothing here knows about a partnership's answers on disk: it describes what a form asks, how
each answer is typed, where it goes on the sheet and what the rules across answers mean.
"""
