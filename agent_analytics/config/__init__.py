"""Reading the product's config files, their value types, the errors a person can act on, and where
the product keeps its data and finds its shipped assets."""
