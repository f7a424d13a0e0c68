# Kubernetes quantities as numbers: plain numbers, decimal and binary SI suffixes, exponents.
_quantity(x) := x if is_number(x)

_quantity(x) := to_number(x) if {
	is_string(x)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`, x)
}

_quantity(x) := n if {
	is_string(x)
	some suffix, factor in _quantity_multipliers
	endswith(x, suffix)
	digits := trim_suffix(x, suffix)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`, digits)
	n := to_number(digits) * factor
}

_quantity(x) := n if {
	is_string(x)
	some suffix, divisor in _quantity_divisors
	endswith(x, suffix)
	digits := trim_suffix(x, suffix)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`, digits)
	n := to_number(digits) / divisor
}

_quantity_multipliers := {"k": 1000, "M": 1000000, "G": 1000000000, "T": 1000000000000, "P": 1000000000000000, "E": 1000000000000000000, "Ki": 1024, "Mi": 1048576, "Gi": 1073741824, "Ti": 1099511627776, "Pi": 1125899906842624, "Ei": 1152921504606846976}

_quantity_divisors := {"n": 1000000000, "u": 1000000, "m": 1000}
