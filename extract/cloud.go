package extract

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud is a Microsoft Graph national cloud deployment.
type Cloud struct {
	Name string
	// GraphURL is the Graph root (scheme and host).
	GraphURL string
	// Azure is the azidentity cloud configuration (its authority host).
	Azure cloud.Configuration
}

// Clouds are the deployments --cloud accepts.
var Clouds = map[string]Cloud{
	"public":    {Name: "public", GraphURL: "https://graph.microsoft.com", Azure: cloud.AzurePublic},
	"usgov":     {Name: "usgov", GraphURL: "https://graph.microsoft.us", Azure: cloud.AzureGovernment},
	"usgov-dod": {Name: "usgov-dod", GraphURL: "https://dod-graph.microsoft.us", Azure: cloud.AzureGovernment},
	"china":     {Name: "china", GraphURL: "https://microsoftgraph.chinacloudapi.cn", Azure: cloud.AzureChina},
}

// LookupCloud finds a cloud by name.
func LookupCloud(name string) (Cloud, error) {
	c, ok := Clouds[strings.ToLower(name)]
	if !ok {
		names := make([]string, 0, len(Clouds))
		for n := range Clouds {
			names = append(names, n)
		}
		sort.Strings(names)
		return Cloud{}, fmt.Errorf("invalid cloud %q: want one of %s", name, strings.Join(names, ", "))
	}
	return c, nil
}

// Scope is the app-only scope of the cloud's Graph, {graph}/.default. It
// stays the cloud's when --graph-url points the requests elsewhere (a proxy,
// the simulator): tokens are issued for the cloud's Graph.
func (c Cloud) Scope() string { return Scope(c.GraphURL) }

// Scope is the app-only scope for a Graph root: {graph}/.default.
func Scope(graphURL string) string {
	return strings.TrimRight(graphURL, "/") + "/.default"
}
