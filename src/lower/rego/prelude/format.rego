_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)
