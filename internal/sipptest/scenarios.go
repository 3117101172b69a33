package sipptest

import (
	"bytes"
	"embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

//go:embed scenarios/*.xml
var scenarioFS embed.FS

// paramKind says how a scenario variable reaches SIPp.
type paramKind int

const (
	// paramSet is a SIPp global variable: -set name value.
	paramSet paramKind = iota
	// paramFlag is a SIPp command-line option (param.flag value), for
	// what SIPp reads only from its command line: -d for a <pause/>,
	// -recv_timeout for a recv's timeout, -au/-ap for [authentication].
	paramFlag
	// paramTemplate is rendered into the XML by text/template, for what
	// SIPp reads only as a literal when it loads a scenario: a recv'd or
	// sent status code, an ereg regexp.
	paramTemplate
)

// param is one variable a built-in scenario takes.
type param struct {
	kind     paramKind
	flag     string // paramFlag: the SIPp option
	def      string // default; "" with required unset means "leave it out"
	required bool
	check    func(string) error
}

// builtin is an embedded scenario and the variables it takes.
type builtin struct {
	file   string
	params map[string]param
}

var (
	statusRE = regexp.MustCompile(`^[3-6][0-9][0-9]$`)
	numberRE = regexp.MustCompile(`^[0-9]+$`)
)

func checkStatus(v string) error {
	if !statusRE.MatchString(v) {
		return fmt.Errorf("%q is not a non-2xx final status code (300-699)", v)
	}
	return nil
}

func checkMillis(v string) error {
	if !numberRE.MatchString(v) {
		return fmt.Errorf("%q is not a whole number of milliseconds", v)
	}
	return nil
}

// checkLine refuses what would break the line or the CDATA section a
// value is rendered into.
func checkLine(v string) error {
	if strings.ContainsAny(v, "\r\n") || strings.Contains(v, "]]>") || strings.Contains(v, "{{") {
		return fmt.Errorf("%q contains a line break, ]]> or {{", v)
	}
	return nil
}

func millis(flag, def string) param {
	return param{kind: paramFlag, flag: flag, def: def, check: checkMillis}
}

// The built-in scenarios. Each file documents its flow at its top; the
// variables here are what sipptest accepts in Vars for it.
var builtins = map[string]builtin{
	"uac_call":      {"uac_call.xml", map[string]param{"hold": millis("-d", "100")}},
	"uac_call_auth": {"uac_call_auth.xml", map[string]param{"hold": millis("-d", "100"), "username": {kind: paramFlag, flag: "-au", required: true, check: checkLine}, "password": {kind: paramFlag, flag: "-ap", required: true, check: checkLine}}},
	"uac_expect":    {"uac_expect.xml", map[string]param{"status": {kind: paramTemplate, required: true, check: checkStatus}}},
	"uac_call_auth_expect": {"uac_call_auth_expect.xml", map[string]param{"status": {kind: paramTemplate, required: true, check: checkStatus},
		"username": {kind: paramFlag, flag: "-au", required: true, check: checkLine}, "password": {kind: paramFlag, flag: "-ap", required: true, check: checkLine}}},
	"uac_call_auth_cancel": {"uac_call_auth_cancel.xml", map[string]param{"ring": millis("-d", "0"),
		"username": {kind: paramFlag, flag: "-au", required: true, check: checkLine}, "password": {kind: paramFlag, flag: "-ap", required: true, check: checkLine}}},
	"uac_call_auth_wait_bye": {"uac_call_auth_wait_bye.xml", map[string]param{"wait": millis("-recv_timeout", "20000"),
		"username": {kind: paramFlag, flag: "-au", required: true, check: checkLine}, "password": {kind: paramFlag, flag: "-ap", required: true, check: checkLine}}},
	"uac_cancel":    {"uac_cancel.xml", map[string]param{"ring": millis("-d", "0")}},
	"uac_wait_bye":  {"uac_wait_bye.xml", map[string]param{"wait": millis("-recv_timeout", "20000")}},
	"uas_answer":    {"uas_answer.xml", map[string]param{"ring": millis("-d", "0")}},
	"uas_reject":    {"uas_reject.xml", rejectParams("", "")},
	"uas_busy":      {"uas_reject.xml", rejectParams("486", "Busy Here")},
	"uas_503":       {"uas_reject.xml", rejectParams("503", "Service Unavailable")},
	"uas_ring":      {"uas_ring.xml", map[string]param{"wait": millis("-recv_timeout", "")}},
	"uas_silent":    {"uas_silent.xml", map[string]param{"wait": millis("-recv_timeout", "5000")}},
	"uas_auth":      {"uas_auth.xml", map[string]param{"username": {kind: paramTemplate, required: true, check: checkLine}, "realm": {kind: paramSet, def: "switchboard.test", check: checkRealm}}},
	"uas_auth_401":  {"uas_auth_401.xml", map[string]param{"username": {kind: paramSet, required: true, check: checkLine}, "password": {kind: paramSet, required: true, check: checkLine}, "realm": {kind: paramSet, def: "switchboard.test", check: checkRealm}}},
	"uas_bye_first": {"uas_bye_first.xml", map[string]param{"hold": millis("-d", "100")}},

	"uas_carrier_late_offer": {"uas_carrier_late_offer.xml", map[string]param{"ring": millis("-d", "0")}},
}

func checkRealm(v string) error {
	if strings.ContainsAny(v, "\"\\\r\n") {
		return fmt.Errorf("realm %q contains a quote, backslash or line break", v)
	}
	return nil
}

// rejectParams are uas_reject's variables; uas_busy and uas_503 are
// uas_reject with other defaults.
func rejectParams(status, reason string) map[string]param {
	return map[string]param{
		"status": {kind: paramTemplate, def: status, required: status == "", check: checkStatus},
		"reason": {kind: paramTemplate, def: reason, check: checkLine},
	}
}

// reasons are the default reason phrases of uas_reject.
var reasons = map[string]string{
	"400": "Bad Request", "403": "Forbidden", "404": "Not Found",
	"408": "Request Timeout", "410": "Gone", "480": "Temporarily Unavailable",
	"484": "Address Incomplete", "486": "Busy Here", "487": "Request Terminated",
	"488": "Not Acceptable Here", "500": "Server Internal Error",
	"502": "Bad Gateway", "503": "Service Unavailable", "504": "Server Time-out",
	"600": "Busy Everywhere", "603": "Decline", "604": "Does Not Exist Anywhere",
}

// templateFuncs escape a value for where a template puts it.
var templateFuncs = template.FuncMap{
	// ere quotes a value for a POSIX extended regexp (SIPp's ereg).
	"ere": regexp.QuoteMeta,
	// xmlattr escapes a value for an XML attribute.
	"xmlattr": func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch r {
			case '&':
				b.WriteString("&amp;")
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			case '"':
				b.WriteString("&quot;")
			case '\'':
				b.WriteString("&apos;")
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	},
}

// prepareScenario writes the scenario to dir and returns its path and the
// SIPp arguments that carry vars. scenario is a built-in name, or a path
// to a scenario file (one containing a path separator or ending in .xml),
// whose vars all become -set.
func prepareScenario(dir, scenario string, vars map[string]string) (path string, args []string, err error) {
	b, ok := builtins[scenario]
	if !ok {
		if !strings.ContainsRune(scenario, filepath.Separator) && !strings.HasSuffix(scenario, ".xml") {
			return "", nil, fmt.Errorf("unknown scenario %q: want one of %s, or a path to a scenario file", scenario, strings.Join(slices.Sorted(maps.Keys(builtins)), ", "))
		}
		if _, err := os.Stat(scenario); err != nil {
			return "", nil, fmt.Errorf("scenario file: %w", err)
		}
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			if err := checkLine(vars[k]); err != nil {
				return "", nil, fmt.Errorf("variable %s: %w", k, err)
			}
			args = append(args, "-set", k, vars[k])
		}
		return scenario, args, nil
	}

	for k := range vars {
		if _, ok := b.params[k]; !ok {
			return "", nil, fmt.Errorf("scenario %s takes no variable %q (it takes: %s)", scenario, k, strings.Join(slices.Sorted(maps.Keys(b.params)), ", "))
		}
	}
	data := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(b.params)) {
		p := b.params[k]
		v, given := vars[k]
		if !given {
			if p.required {
				return "", nil, fmt.Errorf("scenario %s needs the variable %q", scenario, k)
			}
			v = p.def
		}
		if v == "" {
			continue
		}
		if p.check != nil {
			if err := p.check(v); err != nil {
				return "", nil, fmt.Errorf("scenario %s, variable %s: %w", scenario, k, err)
			}
		}
		switch p.kind {
		case paramSet:
			args = append(args, "-set", k, v)
		case paramFlag:
			args = append(args, p.flag, v)
		case paramTemplate:
			data[k] = v
		}
	}

	if _, ok := b.params["reason"]; ok && data["reason"] == "" {
		// uas_reject: the phrase that goes with the status.
		data["reason"] = reasons[data["status"]]
		if data["reason"] == "" {
			data["reason"] = "Rejected"
		}
	}

	raw, err := scenarioFS.ReadFile("scenarios/" + b.file)
	if err != nil {
		return "", nil, fmt.Errorf("embedded scenario %s: %w", b.file, err)
	}
	tmpl, err := template.New(b.file).Option("missingkey=error").Funcs(templateFuncs).Parse(string(raw))
	if err != nil {
		return "", nil, fmt.Errorf("scenario %s: %w", b.file, err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return "", nil, fmt.Errorf("scenario %s: %w", b.file, err)
	}
	path = filepath.Join(dir, scenario+".xml")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return "", nil, fmt.Errorf("write scenario: %w", err)
	}
	return path, args, nil
}
