_as_list(x) := x if is_array(x)

_as_list(x) := [x] if not is_array(x)
