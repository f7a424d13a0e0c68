# ASCII upper case, as CEL's upperAscii (Rego's upper maps all of Unicode).
_upper_ascii(s) := strings.replace_n(
	{
		"a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F", "g": "G", "h": "H", "i": "I", "j": "J", "k": "K", "l": "L", "m": "M",
		"n": "N", "o": "O", "p": "P", "q": "Q", "r": "R", "s": "S", "t": "T", "u": "U", "v": "V", "w": "W", "x": "X", "y": "Y", "z": "Z",
	},
	s,
) if is_string(s)
