"""The county's HTTP side: api/ for stations (signed requests), pages/ for people."""
