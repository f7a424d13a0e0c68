# A LabelSelector: every matchLabels pair and every matchExpressions requirement holds; {} selects every set.
_selects_labels(s, labels) if {
	is_object(s)
	l := _label_set(labels)
	_match_labels_hold(object.get(s, "matchLabels", null), l)
	_match_expressions_hold(object.get(s, "matchExpressions", null), l)
}

_match_labels_hold(m, _) if is_null(m)

_match_labels_hold(m, l) if {
	is_object(m)
	_pairs_hold(m, l)
}

_match_expressions_hold(r, _) if is_null(r)

_match_expressions_hold(r, l) if {
	is_array(r)
	every e in r {
		_requirement_holds(e, l)
	}
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "In"
	_within(e, l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "NotIn"
	not _within(e, l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "Exists"
	e.key in object.keys(l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "DoesNotExist"
	not e.key in object.keys(l)
}

_requirement(e) if {
	is_object(e)
	is_string(e.key)
}

_within(e, l) if {
	is_array(e.values)
	some x in e.values
	x == l[e.key]
}
