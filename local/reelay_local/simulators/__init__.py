"""Plays the third-party services Reelay calls: strict local stand-ins with fault knobs (`creatify`)."""
