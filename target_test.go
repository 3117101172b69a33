package switchboard

import "testing"

func TestAgentTarget(t *testing.T) {
	t.Parallel()
	agent := func(provider, url string) *Endpoint {
		return &Endpoint{Type: EndpointAgent, URL: url, ProviderConfig: &ProviderConfig{Provider: provider}}
	}
	tests := []struct {
		name string
		e    *Endpoint
		want string
	}{
		{"elevenlabs default", agent(ProviderElevenLabs, ""), "sip:+2348012345678@sip.rtc.elevenlabs.io:5060;transport=tcp"},
		{"elevenlabs udp forced to tcp", agent(ProviderElevenLabs, "sip:agent@sip.rtc.elevenlabs.io;transport=udp"), "sip:+2348012345678@sip.rtc.elevenlabs.io;transport=tcp"},
		{"elevenlabs tls kept", agent(ProviderElevenLabs, "sip:sip.rtc.elevenlabs.io:5061;transport=tls"), "sip:+2348012345678@sip.rtc.elevenlabs.io:5061;transport=tls"},
		{"retell default", agent(ProviderRetell, ""), "sip:+2348012345678@sip.retellai.com;transport=tcp"},
		{"livekit keeps transport", agent(ProviderLiveKit, "sip:abc.sip.livekit.cloud"), "sip:+2348012345678@abc.sip.livekit.cloud"},
		{"vapi as written", agent(ProviderVapi, "sip:my-assistant@sip.vapi.ai"), "sip:my-assistant@sip.vapi.ai"},
		{"custom sip as written", agent(ProviderSIP, "sip:bot@10.0.0.5:5080;transport=udp"), "sip:bot@10.0.0.5:5080;transport=udp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := AgentTarget(tt.e, "+2348012345678")
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("AgentTarget = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := AgentTarget(agent(ProviderVapi, ""), "+1"); err == nil {
		t.Error("vapi without url: want an error")
	}
}
