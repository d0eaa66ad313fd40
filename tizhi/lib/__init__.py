"""Small helpers shared by the apps (as healthchecks keeps them in hc/lib): they import Django
and libraries only, never an app, so every app may use them."""
