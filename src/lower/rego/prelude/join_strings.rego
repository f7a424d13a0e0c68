# Strings joined end to end (or with a separator); undefined when an item is not a string.
_join_strings(xs, sep) := concat(sep, xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}
