package goldenvocabulary

import rego.v1

# exists
violation contains {"msg": msg, "details": {"rule": "exists"}} if {
	_operation_matches
	subject := _subject
	not _ = subject.metadata.labels.team
	msg := "golden-vocabulary: rule exists is violated"
}

# absent
violation contains {"msg": msg, "details": {"rule": "absent"}} if {
	_operation_matches
	subject := _subject
	_ = subject.spec.hostNetwork
	msg := "golden-vocabulary: rule absent is violated"
}

# equals
violation contains {"msg": msg, "details": {"rule": "equals"}} if {
	_operation_matches
	subject := _subject
	not subject.spec.restartPolicy == "Always"
	msg := "golden-vocabulary: rule equals is violated"
}

# not-equals
violation contains {"msg": msg, "details": {"rule": "not-equals"}} if {
	_operation_matches
	subject := _subject
	subject.spec.hostPID == true
	msg := "golden-vocabulary: rule not-equals is violated"
}

# one-of
violation contains {"msg": msg, "details": {"rule": "one-of"}} if {
	_operation_matches
	subject := _subject
	not subject.spec.dnsPolicy == ["ClusterFirst", "Default"][_]
	msg := "golden-vocabulary: rule one-of is violated"
}

# not-one-of
violation contains {"msg": msg, "details": {"rule": "not-one-of"}} if {
	_operation_matches
	subject := _subject
	some container in _list0(subject)
	container.imagePullPolicy == ["Never"][_]
	msg := "golden-vocabulary: rule not-one-of is violated"
}

# prefix
violation contains {"msg": msg, "details": {"rule": "prefix"}} if {
	_operation_matches
	subject := _subject
	some container in _list1(subject)
	not _holds2(container)
	msg := "golden-vocabulary: rule prefix is violated"
}

# suffix
violation contains {"msg": msg, "details": {"rule": "suffix"}} if {
	_operation_matches
	subject := _subject
	some container in _list3(subject)
	is_string(container.image)
	endswith(container.image, ":latest")
	msg := "golden-vocabulary: rule suffix is violated"
}

# contains
violation contains {"msg": msg, "details": {"rule": "contains"}} if {
	_operation_matches
	subject := _subject
	some container in _list4(subject)
	is_string(container.image)
	contains(container.image, "@sha256:")
	msg := concat("", ["Container ", _value5(container), " pins a digest"])
}

# regex
violation contains {"msg": msg, "details": {"rule": "regex"}} if {
	_operation_matches
	subject := _subject
	not _holds6(subject)
	msg := "golden-vocabulary: rule regex is violated"
}

# glob
violation contains {"msg": msg, "details": {"rule": "glob"}} if {
	_operation_matches
	subject := _subject
	not _holds7(subject)
	msg := "golden-vocabulary: rule glob is violated"
}

# numeric
violation contains {"msg": msg, "details": {"rule": "numeric"}} if {
	_operation_matches
	subject := _subject
	some container in _list8(subject)
	not _holds9(container)
	msg := "golden-vocabulary: rule numeric is violated"
}

# quantity
violation contains {"msg": msg, "details": {"rule": "quantity"}} if {
	_operation_matches
	subject := _subject
	some container in _list10(subject)
	not _quantity(container.resources.limits.memory) <= _quantity("1Gi")
	msg := "golden-vocabulary: rule quantity is violated"
}

# all-of
violation contains {"msg": msg, "details": {"rule": "all-of"}} if {
	_operation_matches
	subject := _subject
	some container in array.concat(array.concat(_list11(subject), _list12(subject)), _list13(subject))
	not container.securityContext.allowPrivilegeEscalation == false
	msg := "golden-vocabulary: rule all-of is violated"
}

# any-of
violation contains {"msg": msg, "details": {"rule": "any-of"}} if {
	_operation_matches
	subject := _subject
	not _holds15(subject)
	msg := "golden-vocabulary: rule any-of is violated"
}

# none-of
violation contains {"msg": msg, "details": {"rule": "none-of"}} if {
	_operation_matches
	subject := _subject
	some volume in _list16(subject)
	is_string(volume.hostPath.path)
	startswith(volume.hostPath.path, "/var/run")
	msg := concat("", ["Volume ", _value17(subject), " mounts the host"])
}

# ports
violation contains {"msg": msg, "details": {"rule": "ports"}} if {
	_operation_matches
	subject := _subject
	some container in _list18(subject)
	some port in _list19(container)
	_ = port.hostPort
	msg := concat("", ["Container ", _value20(container), " uses hostPort ", _value21(port)])
}

# capabilities
violation contains {"msg": msg, "details": {"rule": "capabilities"}} if {
	_operation_matches
	subject := _subject
	some container in _list22(subject)
	some add in _list23(container)
	not add == ["NET_BIND_SERVICE"][_]
	msg := "golden-vocabulary: rule capabilities is violated"
}

# env
violation contains {"msg": msg, "details": {"rule": "env"}} if {
	_operation_matches
	subject := _subject
	some container in _list24(subject)
	some env in _list25(container)
	is_string(env.name)
	regex.match("(?i)password", env.name)
	msg := concat("", ["Container ", _value26(container), " sets ", _value27(env), " in plain text"])
}

# count
violation contains {"msg": msg, "details": {"rule": "count"}} if {
	_operation_matches
	subject := _subject
	not count(_list28(subject)) <= 5
	msg := "golden-vocabulary: rule count is violated"
}

# logic
violation contains {"msg": msg, "details": {"rule": "logic"}} if {
	_operation_matches
	subject := _subject
	not _holds29(subject)
	not subject.metadata.annotations["policy.example.com/exempt"] == "true"
	msg := "golden-vocabulary: rule logic is violated"
}

# precondition
violation contains {"msg": msg, "details": {"rule": "precondition"}} if {
	_operation_matches
	subject := _subject
	subject.metadata.labels.tier == "frontend"
	not subject.spec.automountServiceAccountToken == false
	msg := "golden-vocabulary: rule precondition is violated"
}

# implies
violation contains {"msg": msg, "details": {"rule": "implies"}} if {
	_operation_matches
	subject := _subject
	subject.spec.hostIPC == true
	not subject.metadata.namespace == "kube-system"
	msg := "golden-vocabulary: rule implies is violated"
}

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := input.review.object if input.review.object.kind == "Pod"
_subject := object.get(object.get(input.review.object, "spec", {}), "template", {}) if input.review.object.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
_subject := object.get(object.get(object.get(object.get(input.review.object, "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}) if input.review.object.kind in {"CronJob"}

_list0(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list1(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds2(container) if {
	is_string(container.image)
	startswith(container.image, ["registry.example.com/", "ghcr.io/example/"][_])
}

_list3(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list4(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_value5(container) := _format(x) if {
	x := container.name
} else := ""

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_holds6(subject) if {
	is_string(subject.metadata.name)
	regex.match("^[a-z0-9-]{1,40}$", subject.metadata.name)
}

_holds7(subject) if {
	is_string(subject.spec.serviceAccountName)
	regex.match("^app-.*$", subject.spec.serviceAccountName)
}

_list8(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds9(container) if {
	is_number(container.securityContext.runAsUser)
	container.securityContext.runAsUser >= 1000
}

_list10(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

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

_list11(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list12(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list13(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_list14(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_holds15(subject) if {
	some volume in _list14(subject)
	_ = volume.emptyDir
}

_list16(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_value17(subject) := _format(x) if {
	x := subject.metadata.name
} else := ""

_list18(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list19(container) := x if {
	x := container.ports
	is_array(x)
} else := []

_value20(container) := _format(x) if {
	x := container.name
} else := ""

_value21(port) := _format(x) if {
	x := port.hostPort
} else := ""

_list22(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list23(container) := x if {
	x := container.securityContext.capabilities.add
	is_array(x)
} else := []

_list24(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list25(container) := x if {
	x := container.env
	is_array(x)
} else := []

_value26(container) := _format(x) if {
	x := container.name
} else := ""

_value27(env) := _format(x) if {
	x := env.name
} else := ""

_list28(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds29(subject) if {
	subject.spec.securityContext.runAsNonRoot == true
	_ = subject.spec.securityContext.seccompProfile.type
}
