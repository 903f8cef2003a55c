NAME = "helpers from a layer"
