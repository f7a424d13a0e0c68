package goldendeny

import rego.v1

# no-node-port
violation contains {"msg": msg, "details": {"rule": "no-node-port"}} if {
	applies
	subject := _subject
	subject.spec.type == "NodePort"
	not false
	msg := "NodePort Services are not allowed"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if {
	_operation_matches
	subject := _subject
	subject.spec.type == "NodePort"
}

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object
