# ASCII case mapping, as CEL's lowerAscii and upperAscii (Rego's lower and upper map all of Unicode).
_lower_ascii(s) := strings.replace_n({"A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "F": "f", "G": "g", "H": "h", "I": "i", "J": "j", "K": "k", "L": "l", "M": "m", "N": "n", "O": "o", "P": "p", "Q": "q", "R": "r", "S": "s", "T": "t", "U": "u", "V": "v", "W": "w", "X": "x", "Y": "y", "Z": "z"}, s) if is_string(s)

_upper_ascii(s) := strings.replace_n({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F", "g": "G", "h": "H", "i": "I", "j": "J", "k": "K", "l": "L", "m": "M", "n": "N", "o": "O", "p": "P", "q": "Q", "r": "R", "s": "S", "t": "T", "u": "U", "v": "V", "w": "W", "x": "X", "y": "Y", "z": "Z"}, s) if is_string(s)

# Strings joined end to end (or with a separator); undefined when an item is not a string.
_join_strings(xs, sep) := concat(sep, xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}
