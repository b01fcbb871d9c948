using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Logging;
using Navarch.ApiServer.ContainerLogs;

namespace Navarch.ApiServer.Registry.ContainerLogs;

/// <summary>
/// <c>POST /apis/logging.navarch.io/v1/containerlogbatches</c>: a node's agent ships new log lines to the central
/// store. A node (<c>system:node:NAME</c>) ships as itself only — as NodeRestriction keeps a kubelet to its own
/// objects —; another caller allowed to create batches names the node. Lines already stored (by file and offset) are
/// counted, not stored again, so the agent may send a batch twice.
/// </summary>
internal sealed class ContainerLogBatchRest(ContainerLogStore store) : IRestCreater
{
    private const string NodeUserPrefix = "system:node:";
    private const int MaxMessageBytes = 64 * 1024;

    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1ContainerLogBatch batch = Http.RequestBody.Deserialize<V1ContainerLogBatch>(body);
        string node = batch.Node;
        if (request.User.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) && request.User.Groups.Contains("system:nodes"))
        {
            string self = request.User.Name[NodeUserPrefix.Length..];
            if (node.Length > 0 && node != self)
            {
                throw ApiErrors.Forbidden("containerlogbatches.logging.navarch.io", "", $"node \"{self}\" may not ship the logs of node \"{node}\"");
            }

            node = self;
        }

        List<FieldError> errors = Validate(node, batch);
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("ContainerLogBatch", "logging.navarch.io", "", errors);
        }

        (int stored, int duplicates) = await store.AppendAsync(node, batch, cancellationToken);
        return new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Metadata = new V1ListMeta(),
            Status = "Success",
            Code = 201,
            Message = $"stored {stored} lines ({duplicates} already stored)",
        };
    }

    private static List<FieldError> Validate(string node, V1ContainerLogBatch batch)
    {
        var errors = new List<FieldError>();
        if (node.Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Required, "node", null, ""));
        }

        for (int i = 0; i < batch.Files.Count; i++)
        {
            V1ContainerLogFile file = batch.Files[i];
            string at = $"files[{i}]";
            foreach ((string field, string value) in new[] { ("path", file.Path), ("namespace", file.Namespace), ("pod", file.Pod), ("container", file.Container) })
            {
                if (string.IsNullOrEmpty(value))
                {
                    errors.Add(new FieldError(FieldErrorType.Required, $"{at}.{field}", null, ""));
                }
            }

            long previous = 0;
            for (int j = 0; j < file.Lines.Count && errors.Count < 10; j++)
            {
                V1ContainerLogLine line = file.Lines[j];
                string lineAt = $"{at}.lines[{j}]";
                if (line.Offset <= previous)
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, $"{lineAt}.offset", line.Offset, "must be greater than the previous line's offset and than 0"));
                }

                if (line.Stream is not ("stdout" or "stderr"))
                {
                    errors.Add(new FieldError(FieldErrorType.NotSupported, $"{lineAt}.stream", line.Stream, "supported values: \"stdout\", \"stderr\""));
                }

                if (!LogTime.TryParse(line.Time ?? "", out _))
                {
                    errors.Add(new FieldError(FieldErrorType.Invalid, $"{lineAt}.time", line.Time, "must be an RFC 3339 time"));
                }

                if ((line.Message?.Length ?? 0) > MaxMessageBytes)
                {
                    errors.Add(new FieldError(FieldErrorType.TooLong, $"{lineAt}.message", null, $"may not be more than {MaxMessageBytes} bytes"));
                }

                previous = line.Offset;
            }
        }

        return errors;
    }
}
