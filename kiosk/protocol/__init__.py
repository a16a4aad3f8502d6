"""The sync wire rules both the station and the county share."""
