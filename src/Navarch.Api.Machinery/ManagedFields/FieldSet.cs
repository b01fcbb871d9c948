using System.Text.Json.Nodes;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// A set of field paths (structured-merge-diff's <c>fieldpath.Set</c>) as a tree of path elements, which is the shape
/// of <c>fieldsV1</c>: each child is named by its element (<c>f:&lt;field&gt;</c>, <c>k:{keys}</c>, <c>v:&lt;value&gt;</c>,
/// <c>i:&lt;index&gt;</c>, see <see cref="PathElements"/>), and a node that is itself in the set while having children
/// carries <c>"."</c>. Sets are values: the operations return new sets.
/// </summary>
public sealed class FieldSet
{
    private SortedDictionary<string, FieldSet>? children;

    /// <summary>Whether the path leading to this node is in the set.</summary>
    public bool IsMember { get; set; }

    /// <summary>No path at all.</summary>
    public bool IsEmpty => !IsMember && (children is null || children.Values.All(c => c.IsEmpty));

    /// <summary>The subtrees by path element.</summary>
    public IEnumerable<KeyValuePair<string, FieldSet>> Children => (IEnumerable<KeyValuePair<string, FieldSet>>?)children ?? [];

    /// <summary>The subtree under <paramref name="element"/>, made when absent.</summary>
    public FieldSet Child(string element)
    {
        children ??= new SortedDictionary<string, FieldSet>(StringComparer.Ordinal);
        if (!children.TryGetValue(element, out FieldSet? child))
        {
            child = new FieldSet();
            children[element] = child;
        }

        return child;
    }

    /// <summary>The subtree under <paramref name="element"/>, or null.</summary>
    public FieldSet? Find(string element) => children is not null && children.TryGetValue(element, out FieldSet? child) ? child : null;

    /// <summary>Adds <paramref name="path"/>.</summary>
    public void Insert(IEnumerable<string> path)
    {
        FieldSet node = this;
        foreach (string element in path)
        {
            node = node.Child(element);
        }

        node.IsMember = true;
    }

    /// <summary>Whether <paramref name="path"/> is in the set.</summary>
    public bool Has(IReadOnlyList<string> path) => Node(path)?.IsMember == true;

    /// <summary>Whether <paramref name="path"/> or any path under it is in the set.</summary>
    public bool HasAtOrUnder(IReadOnlyList<string> path) => Node(path) is { IsEmpty: false };

    private FieldSet? Node(IReadOnlyList<string> path)
    {
        FieldSet? node = this;
        for (int i = 0; i < path.Count && node is not null; i++)
        {
            node = node.Find(path[i]);
        }

        return node;
    }

    /// <summary>Every path in the set, parents before their children, children in element order.</summary>
    public IEnumerable<IReadOnlyList<string>> Paths()
    {
        var prefix = new List<string>();
        return Walk(this, prefix);

        static IEnumerable<IReadOnlyList<string>> Walk(FieldSet node, List<string> prefix)
        {
            if (node.IsMember)
            {
                yield return prefix.ToArray();
            }

            foreach ((string element, FieldSet child) in node.Children)
            {
                prefix.Add(element);
                foreach (IReadOnlyList<string> path in Walk(child, prefix))
                {
                    yield return path;
                }

                prefix.RemoveAt(prefix.Count - 1);
            }
        }
    }

    /// <summary>The paths in either set.</summary>
    public FieldSet Union(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember || other.IsMember };
        foreach ((string element, FieldSet child) in Children)
        {
            result.Put(element, other.Find(element) is { } theirs ? child.Union(theirs) : child.Copy());
        }

        foreach ((string element, FieldSet child) in other.Children)
        {
            if (Find(element) is null)
            {
                result.Put(element, child.Copy());
            }
        }

        return result;
    }

    /// <summary>The paths of this set that are not in <paramref name="other"/> (paths under them stay).</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && !other.IsMember };
        foreach ((string element, FieldSet child) in Children)
        {
            result.Put(element, other.Find(element) is { } theirs ? child.Difference(theirs) : child.Copy());
        }

        return result;
    }

    /// <summary>The paths in both sets.</summary>
    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && other.IsMember };
        foreach ((string element, FieldSet child) in Children)
        {
            if (other.Find(element) is { } theirs)
            {
                result.Put(element, child.Intersection(theirs));
            }
        }

        return result;
    }

    /// <summary>The paths of this set that are neither in <paramref name="other"/> nor under one of its paths.</summary>
    public FieldSet RecursiveDifference(FieldSet other)
    {
        if (other.IsMember)
        {
            return new FieldSet();
        }

        var result = new FieldSet { IsMember = IsMember };
        foreach ((string element, FieldSet child) in Children)
        {
            result.Put(element, other.Find(element) is { } theirs ? child.RecursiveDifference(theirs) : child.Copy());
        }

        return result;
    }

    /// <summary>The paths of this set that are <paramref name="other"/>'s paths or under them.</summary>
    public FieldSet RecursiveIntersection(FieldSet other)
    {
        if (other.IsMember)
        {
            return Copy();
        }

        var result = new FieldSet();
        foreach ((string element, FieldSet child) in Children)
        {
            if (other.Find(element) is { } theirs)
            {
                result.Put(element, child.RecursiveIntersection(theirs));
            }
        }

        return result;
    }

    /// <summary>A deep copy.</summary>
    public FieldSet Copy()
    {
        var copy = new FieldSet { IsMember = IsMember };
        foreach ((string element, FieldSet child) in Children)
        {
            copy.Put(element, child.Copy());
        }

        return copy;
    }

    private void Put(string element, FieldSet child)
    {
        if (!child.IsEmpty)
        {
            children ??= new SortedDictionary<string, FieldSet>(StringComparer.Ordinal);
            children[element] = child;
        }
    }

    /// <summary>The set as <c>fieldsV1</c>.</summary>
    public JsonObject ToFieldsV1()
    {
        var json = new JsonObject();
        if (IsMember && children is { Count: > 0 })
        {
            json["."] = new JsonObject();
        }

        foreach ((string element, FieldSet child) in Children)
        {
            json[element] = child.ToFieldsV1();
        }

        return json;
    }

    /// <summary>A set read from <c>fieldsV1</c>; anything that is not its shape is a <see cref="FormatException"/>.</summary>
    public static FieldSet FromFieldsV1(JsonNode? json)
    {
        var set = new FieldSet();
        Read(set, json as JsonObject ?? throw new FormatException("fieldsV1 must be an object"), root: true);
        return set;

        static void Read(FieldSet node, JsonObject json, bool root)
        {
            if (!root && json.Count == 0)
            {
                node.IsMember = true;
            }

            foreach ((string element, JsonNode? value) in json)
            {
                JsonObject child = value as JsonObject ?? throw new FormatException($"fieldsV1 element {element} must be an object");
                if (element == ".")
                {
                    node.IsMember = true;
                    continue;
                }

                if (element.Length < 2 || element[1] != ':' || "fkvi".IndexOf(element[0], StringComparison.Ordinal) < 0)
                {
                    throw new FormatException($"unknown fieldsV1 path element {element}");
                }

                Read(node.Child(element), child, root: false);
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => ToFieldsV1().ToJsonString();
}
