"""The doors a record comes in and goes out by: blanks, workbooks, Word forms read back, drafts."""
