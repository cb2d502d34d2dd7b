"""The figures of `report`: named PromQL queries and how they combine."""
