"""The station's side of the county link: the sync worker and the roster pull."""
