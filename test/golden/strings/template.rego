package goldenstrings

import rego.v1

# allowed-service-accounts
violation contains {"msg": msg, "details": {"rule": "allowed-service-accounts"}} if {
	applies
	subject := _subject
	_any0(subject)
	some subject2 in _list2(subject)
	not _holds4(subject2)
	msg := trim_space(concat("", ["service account ", _value5(subject2), " is not allowed"]))
}

# owners
violation contains {"msg": msg, "details": {"rule": "owners"}} if {
	applies
	subject := _subject
	some part in _list6(subject)
	not _holds7(part)
	msg := trim_space(concat("", ["owner ", _value8(part), " is not an example.com address"]))
}

# owner-list
violation contains {"msg": msg, "details": {"rule": "owner-list"}} if {
	applies
	subject := _subject
	not _holds10(subject)
	msg := "owners-normalised must list the owners separated by semicolons"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

_list1(subject) := x if {
	x := subject.subjects
	is_array(x)
} else := []

# ASCII lower case, as CEL's lowerAscii (Rego's lower maps all of Unicode).
_lower_ascii(s) := strings.replace_n(
	{
		"A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "F": "f", "G": "g", "H": "h", "I": "i", "J": "j", "K": "k", "L": "l", "M": "m",
		"N": "n", "O": "o", "P": "p", "Q": "q", "R": "r", "S": "s", "T": "t", "U": "u", "V": "v", "W": "w", "X": "x", "Y": "y", "Z": "z",
	},
	s,
) if is_string(s)

_any0(subject) if {
	some subject2 in _list1(subject)
	_lower_ascii(subject2.kind) == "serviceaccount"
}

_list2(subject) := x if {
	x := subject.subjects
	is_array(x)
} else := []

# Strings joined end to end (or with a separator); undefined when an item is not a string.
_join_strings(xs, sep) := concat(sep, xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

_list3 := x if {
	x := input.parameters.allowed
	is_array(x)
} else := []

_holds4(subject2) if {
	_join_strings([subject2.namespace, ":", subject2.name], "") == _list3[_]
}

_value5(subject2) := _format(x) if {
	x := _join_strings([subject2.namespace, ":", subject2.name], "")
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_list6(subject) := x if {
	s := subject.metadata.annotations.owners
	is_string(s)
	x := split(s, ",")
} else := []

# ASCII upper case, as CEL's upperAscii (Rego's upper maps all of Unicode).
_upper_ascii(s) := strings.replace_n(
	{
		"a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F", "g": "G", "h": "H", "i": "I", "j": "J", "k": "K", "l": "L", "m": "M",
		"n": "N", "o": "O", "p": "P", "q": "Q", "r": "R", "s": "S", "t": "T", "u": "U", "v": "V", "w": "W", "x": "X", "y": "Y", "z": "Z",
	},
	s,
) if is_string(s)

_holds7(part) if {
	is_string(_upper_ascii(part))
	regex.match("^[A-Z]+@EXAMPLE\\.COM$", _upper_ascii(part))
}

_value8(part) := _format(x) if {
	x := part
} else := "<missing>"

_list9(subject) := x if {
	s := subject.metadata.annotations.owners
	is_string(s)
	x := split(s, ",")
} else := []

_holds10(subject) if {
	_join_strings(_list9(subject), ";") == subject.metadata.annotations["owners-normalised"]
}
