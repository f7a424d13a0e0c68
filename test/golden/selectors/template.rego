package goldenselectors

import rego.v1

# selects-its-pods
violation contains {"msg": msg, "details": {"rule": "selects-its-pods"}} if {
	applies
	subject := _subject
	not _holds1(subject)
	msg := "the selector does not select the pod template's labels"
}

# labelled-like-its-pods
violation contains {"msg": msg, "details": {"rule": "labelled-like-its-pods"}} if {
	applies
	subject := _subject
	_ = subject.metadata.labels
	not _holds3(subject)
	msg := "the pods do not carry the Deployment's labels"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

# Label selectors as Kubernetes matches them (policyc's kube/labels.ts and its CEL read them alike).
# A set of labels that is missing (null) is empty; anything but a map matches nothing.
_label_set(l) := {} if is_null(l)

_label_set(l) := l if is_object(l)

# Every pair of the map is among the labels.
_pairs_hold(m, l) if {
	every k, x in m {
		l[k] == x
	}
}

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

_value0(subject) := x if {
	x := subject.spec.template.metadata.labels
} else := null

_holds1(subject) if {
	_selects_labels(subject.spec.selector, _value0(subject))
}

# A plain map of labels (a Service's spec.selector): not empty, and every pair among the labels.
_selects_map(s, labels) if {
	is_object(s)
	count(s) > 0
	_pairs_hold(s, _label_set(labels))
}

_value2(subject) := x if {
	x := subject.spec.template.metadata.labels
} else := null

_holds3(subject) if {
	_selects_map(subject.metadata.labels, _value2(subject))
}
