package client_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboard-voice/switchboard/client"
	"github.com/switchboard-voice/switchboard/openapi"
)

// methodOf maps each operationId of openapi/openapi.yaml to the Client
// method that calls it. An operation missing here, or a method that does
// not exist, fails TestEveryOperationHasAMethod: the SDK cannot fall behind
// the contract unnoticed. Branches that add operations may add their
// entries from their own test file (an init func) to keep merges apart.
var methodOf = map[string]string{
	"getHealth":  "Health",
	"getOpenAPI": "OpenAPI",

	"listEndpoints":  "ListEndpoints",
	"createEndpoint": "CreateEndpoint",
	"getEndpoint":    "GetEndpoint",
	"updateEndpoint": "UpdateEndpoint",
	"deleteEndpoint": "DeleteEndpoint",

	"listPhoneNumbers":                "ListPhoneNumbers",
	"claimPhoneNumber":                "ClaimPhoneNumber",
	"listAvailablePhoneNumbers":       "ListAvailablePhoneNumbers",
	"getPhoneNumber":                  "GetPhoneNumber",
	"updatePhoneNumber":               "UpdatePhoneNumber",
	"releasePhoneNumber":              "ReleasePhoneNumber",
	"rotatePhoneNumberSIPCredentials": "RotatePhoneNumberSIPCredentials",
	"explainPhoneNumberRoute":         "ExplainPhoneNumberRoute",

	"listCalls":          "ListCalls",
	"getCall":            "GetCall",
	"listCallEvents":     "ListCallEvents",
	"hangupCall":         "HangupCall",
	"createOutboundCall": "CreateOutboundCall",
	// The singular path is an alias of the same operation (KrosAI's
	// guides spell it both ways); one method serves both.
	"createOutboundCallSingular": "CreateOutboundCall",

	"listTrunks":  "ListTrunks",
	"createTrunk": "CreateTrunk",
	"getTrunk":    "GetTrunk",
	"updateTrunk": "UpdateTrunk",
	"deleteTrunk": "DeleteTrunk",

	"listApiKeys":  "ListAPIKeys",
	"createApiKey": "CreateAPIKey",
	"getApiKey":    "GetAPIKey",
	"revokeApiKey": "RevokeAPIKey",

	"listWebhooks":            "ListWebhooks",
	"createWebhook":           "CreateWebhook",
	"getWebhook":              "GetWebhook",
	"updateWebhook":           "UpdateWebhook",
	"deleteWebhook":           "DeleteWebhook",
	"rotateWebhookSecret":     "RotateWebhookSecret",
	"testWebhook":             "TestWebhook",
	"replayWebhookDeliveries": "ReplayWebhookDeliveries",
	"listWebhookDeliveries":   "ListWebhookDeliveries",
	"getWebhookDelivery":      "GetWebhookDelivery",
	"retryWebhookDelivery":    "RetryWebhookDelivery",
}

func TestEveryOperationHasAMethod(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML())
	if err != nil {
		t.Fatal(err)
	}
	ct := reflect.TypeFor[*client.Client]()
	inSpec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
				continue
			}
			inSpec[op.OperationID] = true
			name, ok := methodOf[op.OperationID]
			if !ok {
				t.Errorf("operation %s (%s %s) has no client method: write one and map it in methodOf", op.OperationID, method, path)
				continue
			}
			if _, ok := ct.MethodByName(name); !ok {
				t.Errorf("operation %s maps to Client.%s, which does not exist", op.OperationID, name)
			}
		}
	}
	var stale []string
	for id := range methodOf {
		if !inSpec[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	for _, id := range stale {
		t.Errorf("methodOf names %s, which openapi.yaml no longer has", id)
	}
}
