namespace Navarch.E2E.Tests;

/// <summary>Manifests the end-to-end tests share.</summary>
public static class Workloads
{
    /// <summary>
    /// Deployment `web`: <paramref name="replicas"/> busybox httpd pods answering "hello from &lt;pod name&gt;" on the
    /// named port http (8080), ready once it listens, with <paramref name="podSpec"/> added to their spec (indented as
    /// the spec's fields); and Service `web` of <paramref name="serviceType"/> on port 80.
    /// </summary>
    public static string HelloWeb(int replicas = 2, string serviceType = "ClusterIP", string podSpec = "") => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
        {{{podSpec}}}
              containers:
              - name: httpd
                image: busybox:1.35
                command: ["sh", "-c", "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
                ports: [{name: http, containerPort: 8080}]
                readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: {{{serviceType}}}
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http}]
        """;
}
