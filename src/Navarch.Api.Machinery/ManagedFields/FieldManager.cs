using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// apiserver's field manager for one resource (k8s.io/apimachinery/pkg/util/managedfields): keeps
/// <c>metadata.managedFields</c> on every write and carries out server-side apply. An update gives its manager the
/// fields it added or changed and takes them from everyone else; an apply merges the configuration into the live
/// object, removes what the applier set before and no longer sets (unless someone else owns it), and refuses to change
/// a field another manager owns unless forced — a 409 with one cause per field, worded as Kubernetes words it.
/// Fields no one owns (apiVersion, kind, the server-set metadata) and those of the other half of the status split
/// are left out of every set.
/// </summary>
/// <param name="schema">How the resource's lists and maps merge.</param>
/// <param name="apiVersion">The version writes are tracked in.</param>
/// <param name="hasStatus">Whether the resource has a status subresource: then main-resource writes do not own status, and status writes own only status.</param>
public sealed class FieldManager(ITypeSchema schema, string apiVersion, bool hasStatus)
{
    private static readonly FieldSet Unowned = Paths(["f:apiVersion"], ["f:kind"], ["f:metadata", "f:name"], ["f:metadata", "f:namespace"],
        ["f:metadata", "f:creationTimestamp"], ["f:metadata", "f:selfLink"], ["f:metadata", "f:uid"], ["f:metadata", "f:generation"],
        ["f:metadata", "f:managedFields"], ["f:metadata", "f:resourceVersion"], ["f:metadata", "f:deletionTimestamp"],
        ["f:metadata", "f:deletionGracePeriodSeconds"], ["f:metadata"]);

    private static readonly FieldSet Status = Paths(["f:status"]);

    /// <summary>The manager's fields after <paramref name="updated"/> replaced <paramref name="live"/> (null: a create).</summary>
    /// <returns>The entries to store: <paramref name="sent"/> when the client set them, else the live ones, updated.</returns>
    public IList<V1ManagedFieldsEntry> Update(
        JsonObject? live,
        IList<V1ManagedFieldsEntry>? liveEntries,
        JsonObject updated,
        IList<V1ManagedFieldsEntry>? sent,
        string manager,
        string? subresource,
        DateTime now)
    {
        Dictionary<ManagerKey, ManagedFieldSet> managed = subresource is not null ? Decode(liveEntries)
            : sent is { Count: 0 } || (sent is { Count: 1 } && IsEmpty(sent[0])) ? []
            : sent is { Count: > 0 } && TryDecode(sent, out Dictionary<ManagerKey, ManagedFieldSet>? given) ? given
            : Decode(liveEntries);
        Comparison compare = StructuredMerge.Compare(live ?? [], updated, schema).Filter(s => Owned(s, subresource));
        if (compare.IsSame)
        {
            return Encode(managed);
        }

        FieldSet changed = compare.Changed;
        foreach (ManagerKey key in managed.Keys.ToList())
        {
            managed[key] = managed[key] with { Set = managed[key].Set.Difference(changed).Difference(compare.Removed) };
        }

        var self = new ManagerKey(manager, ManagerKey.Update, apiVersion, subresource);
        if (!changed.IsEmpty)
        {
            FieldSet previous = managed.TryGetValue(self, out ManagedFieldSet? was) ? was.Set : new FieldSet();
            managed[self] = new ManagedFieldSet(previous.Union(changed), apiVersion, now);
        }

        CapUpdateManagers(managed);
        return Encode(managed);
    }

    /// <summary>
    /// apiserver's capManagersManager: past <see cref="MaxUpdateManagers"/> update entries, the oldest are merged, per
    /// apiVersion, into an <c>ancient-changes</c> entry, so clients with ever new names cannot grow the object.
    /// </summary>
    private static void CapUpdateManagers(Dictionary<ManagerKey, ManagedFieldSet> managed)
    {
        List<ManagerKey> updaters = managed.Where(m => m.Key.Operation == ManagerKey.Update)
            .OrderBy(m => Seconds(m.Value.Time)).ThenBy(m => m.Key.Manager, StringComparer.Ordinal).ThenBy(m => m.Key.ApiVersion, StringComparer.Ordinal)
            .Select(m => m.Key).ToList();
        var firstOfVersion = new Dictionary<string, ManagerKey>(StringComparer.Ordinal);
        for (int i = 0, length = updaters.Count; i < updaters.Count && length > MaxUpdateManagers; i++)
        {
            ManagerKey key = updaters[i];
            ManagedFieldSet fields = managed[key];
            string version = fields.ApiVersion ?? "";
            var bucket = new ManagerKey(AncientChanges, ManagerKey.Update, version, null);
            if (!firstOfVersion.TryGetValue(version, out ManagerKey? first))
            {
                firstOfVersion[version] = key;
                continue;
            }

            if (!managed.TryGetValue(bucket, out ManagedFieldSet? merged))
            {
                merged = managed[first];
                managed.Remove(first);
            }

            managed[bucket] = new ManagedFieldSet(fields.Set.Union(merged.Set), fields.ApiVersion, fields.Time);
            if (key != bucket)
            {
                managed.Remove(key);
            }

            length--;
        }
    }

    private static long Seconds(DateTime? time) => time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds() : 0;

    /// <summary>
    /// <paramref name="config"/> applied by <paramref name="manager"/> to <paramref name="live"/> (an empty object when
    /// there is none yet): the merged object and its entries; a 409 Conflict when it changes fields others own and
    /// <paramref name="force"/> is false (with force, they become the applier's).
    /// </summary>
    public (JsonObject Merged, IList<V1ManagedFieldsEntry> Entries) Apply(
        JsonObject live,
        IList<V1ManagedFieldsEntry>? liveEntries,
        JsonObject config,
        string manager,
        string? subresource,
        bool force,
        DateTime now)
    {
        Dictionary<ManagerKey, ManagedFieldSet> managed = Decode(liveEntries);
        var self = new ManagerKey(manager, ManagerKey.Apply, null, subresource);
        JsonObject merged = StructuredMerge.Merge(live, config, schema);
        FieldSet applied = Owned(StructuredMerge.ToFieldSet(config, schema), subresource);
        FieldSet? last = managed.TryGetValue(self, out ManagedFieldSet? previous) ? previous.Set : null;
        managed[self] = new ManagedFieldSet(applied, apiVersion, now);
        if (last is not null)
        {
            // What the applier set before and no longer sets goes, unless someone else still owns it (or something under it).
            foreach (IReadOnlyList<string> path in last.Difference(applied).Paths().ToList())
            {
                if (!managed.Values.Any(m => m.Set.HasAtOrUnder(path)))
                {
                    StructuredMerge.Remove(merged, path, schema);
                }
            }
        }

        Comparison compare = StructuredMerge.Compare(live, merged, schema).Filter(s => Owned(s, subresource));
        FieldSet changed = compare.Changed;
        var conflicts = new List<(ManagerKey Manager, IReadOnlyList<string> Path)>();
        foreach ((ManagerKey key, ManagedFieldSet set) in managed)
        {
            if (key != self)
            {
                conflicts.AddRange(set.Set.Intersection(changed).Paths().Select(p => (key, p)));
            }
        }

        if (conflicts.Count > 0 && !force && manager == Kubectl && AllowedFromLastApplied(live) is { } allowed)
        {
            // apiserver's lastAppliedManager: kubectl's first server-side apply after client-side ones may take the
            // fields its last-applied-configuration set, as they still are, from the managers of those writes.
            conflicts.RemoveAll(c => allowed.Has(c.Path));
        }

        if (conflicts.Count > 0 && !force)
        {
            throw ConflictError(conflicts);
        }

        if (manager == Kubectl && LastApplied(live) is not null)
        {
            // apiserver's lastAppliedUpdater: the annotation follows kubectl's server-side applies, so a later
            // client-side apply computes its patch from what was applied last.
            var configuration = (JsonObject)config.DeepClone();
            (configuration["metadata"]?["annotations"] as JsonObject)?.Remove(LastAppliedAnnotation);
            var annotations = merged["metadata"] is JsonObject meta ? meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject()) : null;
            annotations?.Remove(LastAppliedAnnotation);
            annotations?.Add(LastAppliedAnnotation, configuration.ToJsonString() + "\n");
        }

        foreach (ManagerKey key in managed.Keys.Where(k => k != self).ToList())
        {
            managed[key] = managed[key] with { Set = managed[key].Set.Difference(changed).Difference(compare.Removed) };
        }

        return (merged, Encode(managed));
    }

    /// <summary>DefaultMaxUpdateManagers.</summary>
    private const int MaxUpdateManagers = 10;
    private const string AncientChanges = "ancient-changes";
    private const string Kubectl = "kubectl";
    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private static string? LastApplied(JsonObject live) =>
        live["metadata"]?["annotations"]?[LastAppliedAnnotation] is JsonValue v && v.TryGetValue(out string? text) && text.Length > 0 ? text : null;

    /// <summary>The fields client-side apply's annotation sets to the values they still have (null when there is none, or not of this version).</summary>
    private FieldSet? AllowedFromLastApplied(JsonObject live)
    {
        try
        {
            if (LastApplied(live) is not { } text || JsonNode.Parse(text) is not JsonObject last || last["apiVersion"]?.GetValue<string>() != apiVersion)
            {
                return null;
            }

            Comparison compare = StructuredMerge.Compare(last, live, schema);
            return StructuredMerge.ToFieldSet(last, schema).Difference(compare.Modified).Difference(compare.Added).Difference(compare.Removed);
        }
        catch (Exception e) when (e is JsonException or StatusException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The set without the fields no one owns, and without the other half of the status split.</summary>
    private FieldSet Owned(FieldSet set, string? subresource)
    {
        set = set.Difference(Unowned);
        if (!hasStatus)
        {
            return set;
        }

        return subresource == "status" ? set.RecursiveIntersection(Status) : subresource is null ? set.RecursiveDifference(Status) : set;
    }

    /// <summary>apiserver's NewConflictError: a 409 whose causes name each field and its manager.</summary>
    private static StatusException ConflictError(List<(ManagerKey Manager, IReadOnlyList<string> Path)> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Manager.Describe()}: {PathElements.Describe(conflicts[0].Path)}";
        }
        else
        {
            var lines = new List<string>();
            foreach (IGrouping<string, (ManagerKey Manager, IReadOnlyList<string> Path)> group in conflicts.GroupBy(c => c.Manager.Describe()).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                lines.Add($"conflicts with {group.Key}:");
                lines.AddRange(group.Select(c => "- " + PathElements.Describe(c.Path)));
            }

            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }

        var status = new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Metadata = new V1ListMeta(),
            Status = "Failure",
            Message = message,
            Reason = "Conflict",
            Code = 409,
            Details = new V1StatusDetails
            {
                Causes = conflicts.Select(c => new V1StatusCause
                {
                    Reason = "FieldManagerConflict",
                    Message = $"conflict with {c.Manager.Describe()}",
                    Field = PathElements.Describe(c.Path),
                }).ToList(),
            },
        };
        return new StatusException(status);
    }

    private static bool IsEmpty(V1ManagedFieldsEntry e) =>
        e.Manager is null && e.Operation is null && e.ApiVersion is null && e.Time is null && e.FieldsType is null && e.FieldsV1 is null && e.Subresource is null;

    /// <summary>The entries as field sets; entries that do not decode are dropped (kube-apiserver starts afresh then).</summary>
    public static Dictionary<ManagerKey, ManagedFieldSet> Decode(IList<V1ManagedFieldsEntry>? entries) =>
        TryDecode(entries, out Dictionary<ManagerKey, ManagedFieldSet>? managed) ? managed : [];

    private static bool TryDecode(IList<V1ManagedFieldsEntry>? entries, out Dictionary<ManagerKey, ManagedFieldSet> managed)
    {
        managed = [];
        try
        {
            foreach (V1ManagedFieldsEntry e in entries ?? [])
            {
                if (e.Operation is not (ManagerKey.Apply or ManagerKey.Update) || (e.FieldsType is not null && e.FieldsType != "FieldsV1"))
                {
                    managed = [];
                    return false;
                }

                var key = new ManagerKey(e.Manager ?? "", e.Operation, e.Operation == ManagerKey.Update ? e.ApiVersion : null, string.IsNullOrEmpty(e.Subresource) ? null : e.Subresource);
                FieldSet set = e.FieldsV1 is null ? new FieldSet() : FieldSet.FromFieldsV1(e.FieldsV1 as JsonNode ?? JsonSerializer.SerializeToNode(e.FieldsV1));
                managed[key] = managed.TryGetValue(key, out ManagedFieldSet? same) ? same with { Set = same.Set.Union(set) } : new ManagedFieldSet(set, e.ApiVersion, e.Time);
            }

            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            managed = [];
            return false;
        }
    }

    /// <summary>The entries in kube-apiserver's order: appliers first, then by time, manager, apiVersion and subresource.</summary>
    public static IList<V1ManagedFieldsEntry> Encode(Dictionary<ManagerKey, ManagedFieldSet> managed) =>
        managed.Where(m => !m.Value.Set.IsEmpty)
            .OrderBy(m => m.Key.Operation, StringComparer.Ordinal)
            .ThenBy(m => Seconds(m.Value.Time))
            .ThenBy(m => m.Key.Manager, StringComparer.Ordinal)
            .ThenBy(m => m.Value.ApiVersion, StringComparer.Ordinal)
            .ThenBy(m => m.Key.Subresource, StringComparer.Ordinal)
            .Select(m => new V1ManagedFieldsEntry
            {
                Manager = m.Key.Manager,
                Operation = m.Key.Operation,
                ApiVersion = m.Value.ApiVersion,
                Time = m.Value.Time,
                FieldsType = "FieldsV1",
                FieldsV1 = m.Value.Set.ToFieldsV1(),
                Subresource = m.Key.Subresource,
            })
            .ToList();

    private static FieldSet Paths(params string[][] paths)
    {
        var set = new FieldSet();
        foreach (string[] path in paths)
        {
            set.Insert(path);
        }

        return set;
    }
}
