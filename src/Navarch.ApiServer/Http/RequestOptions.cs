using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Selectors;

namespace Navarch.ApiServer.Http;

/// <summary>
/// The common query options of a request (metav1's ListOptions, CreateOptions, DeleteOptions, ... as query
/// parameters), parsed once for the verb they belong to. A malformed value does not fail the parse: it is kept in
/// <see cref="Error"/> and reported once the request is authorized, as kube-apiserver's handlers do.
/// </summary>
internal sealed record RequestOptions
{
    /// <summary>No options.</summary>
    public static RequestOptions None { get; } = new();

    /// <summary><c>watch</c>, a query boolean (<see cref="Flag"/>).</summary>
    public bool Watch { get; init; }

    /// <summary><c>dryRun=All</c>: admit and validate, write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary><c>fieldValidation</c>: Strict, Warn, Ignore or "" (checked when a body is decoded).</summary>
    public string FieldValidation { get; init; } = "";

    /// <summary><c>fieldManager</c> (create, update, patch): who the write's fields belong to; "" when not sent.</summary>
    public string FieldManager { get; init; } = "";

    /// <summary><c>force</c> (apply patches): take the fields of other managers instead of a conflict; null when not sent.</summary>
    public bool? Force { get; init; }

    /// <summary><c>labelSelector</c> (list, watch, deletecollection).</summary>
    public LabelSelector Labels { get; init; } = LabelSelector.Everything;

    /// <summary><c>fieldSelector</c> (list, watch, deletecollection); the fields it may use are the resource's.</summary>
    public FieldSelector Fields { get; init; } = FieldSelector.Everything;

    /// <summary><c>limit</c> (list); 0 for none.</summary>
    public long Limit { get; init; }

    /// <summary><c>continue</c> (list).</summary>
    public string? Continue { get; init; }

    /// <summary><c>resourceVersion</c> as sent (list, watch).</summary>
    public string ResourceVersion { get; init; } = "";

    /// <summary><c>resourceVersionMatch</c> (list): Exact, NotOlderThan or "".</summary>
    public string ResourceVersionMatch { get; init; } = "";

    /// <summary>
    /// <see cref="ResourceVersion"/> as a store revision: 0 for "" and "0" (any), and for a list that asks for
    /// NotOlderThan (which the store always satisfies).
    /// </summary>
    public long Revision { get; init; }

    /// <summary><c>timeoutSeconds</c> (watch); 0 for the default.</summary>
    public long TimeoutSeconds { get; init; }

    /// <summary>
    /// <c>sendInitialEvents</c> (watch): null when not sent; true streams the current objects first and then a bookmark
    /// annotated <c>k8s.io/initial-events-end</c>; false starts at the resourceVersion without them.
    /// </summary>
    public bool? SendInitialEvents { get; init; }

    /// <summary><c>allowWatchBookmarks</c> (watch), a query boolean (<see cref="Flag"/>).</summary>
    public bool AllowWatchBookmarks { get; init; }

    /// <summary>The first malformed option, reported after authorization; null when all parsed.</summary>
    public StatusException? Error { get; init; }

    /// <summary>Parses the options of <paramref name="verb"/> from <paramref name="query"/>.</summary>
    public static RequestOptions Parse(string verb, IQueryCollection query)
    {
        var options = new RequestOptions
        {
            Watch = Flag(query, "watch"),
            DryRun = query["dryRun"].Count > 0,
            FieldValidation = query["fieldValidation"].ToString(),
            FieldManager = query["fieldManager"].ToString(),
            Force = query.ContainsKey("force") ? Flag(query, "force") : null,
        };
        try
        {
            // A delete's dryRun is one of its DeleteOptions, read by DeleteHandler from the body or else the query.
            if (verb is "create" or "update" or "patch")
            {
                CheckDryRun(verb, query["dryRun"]);
            }

            return verb switch
            {
                "list" => CheckListOptions(query, options.WithSelectors(query)) with
                {
                    Limit = ParseLong(query["limit"], "limit"),
                    Continue = NullIfEmpty(query["continue"]),
                    ResourceVersion = query["resourceVersion"].ToString(),
                    ResourceVersionMatch = query["resourceVersionMatch"].ToString(),
                    // NotOlderThan reads the current state, so its resourceVersion is only a lower bound to wait for, if it is one.
                    Revision = query["resourceVersion"].ToString() is "" or "0" ? 0
                        : query["resourceVersionMatch"].ToString() == "NotOlderThan"
                            ? long.TryParse(query["resourceVersion"].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long atLeast) ? atLeast : 0
                            : ParseLong(query["resourceVersion"], "resourceVersion"),
                },
                "watch" => CheckWatchOptions(query, options.WithSelectors(query)) with
                {
                    SendInitialEvents = query.ContainsKey("sendInitialEvents") ? Flag(query, "sendInitialEvents") : null,
                    ResourceVersionMatch = query["resourceVersionMatch"].ToString(),
                    ResourceVersion = query["resourceVersion"].ToString(),
                    TimeoutSeconds = ParseLong(query["timeoutSeconds"], "timeoutSeconds"),
                    Revision = query["resourceVersion"].ToString() is "" or "0" ? 0 : ParseLong(query["resourceVersion"], "resourceVersion"),
                    AllowWatchBookmarks = Flag(query, "allowWatchBookmarks"),
                },
                "deletecollection" => options.WithSelectors(query),
                _ => options,
            };
        }
        catch (StatusException e)
        {
            return options with { Error = e };
        }
    }

    /// <summary>
    /// A boolean query parameter as kube-apiserver converts one (<c>Convert_Slice_string_To_bool</c>): absent, "0" or
    /// "false" in any case is false; any other value, "" included, is true — so Python's <c>watch=True</c> watches.
    /// </summary>
    public static bool Flag(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && values[0] is { } value
            && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>A number from the query; "" is 0; anything else is a 400 naming the parameter.</summary>
    public static long ParseLong(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n)
            ? n
            : throw ApiErrors.BadRequest($"invalid {name}: {(value.Length > 64 ? value[..64] + "..." : value)}");
    }

    /// <summary>
    /// <c>dryRun</c> may only be <c>All</c> (ValidateDryRun): anything else is a 422 on the verb's options kind, never
    /// a write that ignores it.
    /// </summary>
    private static void CheckDryRun(string verb, Microsoft.Extensions.Primitives.StringValues dryRun)
    {
        if (DryRunError(dryRun.Select(v => v ?? "").ToList()) is { } error)
        {
            string kind = verb switch
            {
                "create" => "CreateOptions",
                "update" => "UpdateOptions",
                _ => "PatchOptions",
            };
            throw ApiErrors.Invalid(kind, "meta.k8s.io", "", [error]);
        }
    }

    /// <summary>meta/v1 validation's ValidateDryRun: null when every value is <c>All</c>.</summary>
    public static FieldError? DryRunError(IReadOnlyList<string> dryRun) =>
        dryRun.All(v => v == "All") ? null : new FieldError(FieldErrorType.NotSupported, "dryRun", new GoStrings(dryRun), "supported values: \"All\"");

    /// <summary>kube-apiserver's ValidateListOptions for a list: the resourceVersionMatch rules, a 422 on ListOptions.</summary>
    private static RequestOptions CheckListOptions(IQueryCollection query, RequestOptions options)
    {
        string match = query["resourceVersionMatch"].ToString();
        if (match.Length == 0)
        {
            return options;
        }

        string resourceVersion = query["resourceVersion"].ToString();
        var errors = new List<FieldError>();
        if (resourceVersion.Length == 0)
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "resourceVersionMatch is forbidden unless resourceVersion is provided"));
        }

        if (query["continue"].ToString().Length > 0)
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "resourceVersionMatch is forbidden when continue is provided"));
        }

        if (match is not ("Exact" or "NotOlderThan"))
        {
            errors.Add(new FieldError(FieldErrorType.NotSupported, "resourceVersionMatch", match, "supported values: \"Exact\", \"NotOlderThan\", \"\""));
        }

        if (match == "Exact" && resourceVersion == "0")
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
        }

        return errors.Count == 0 ? options : throw ApiErrors.Invalid("ListOptions", "meta.k8s.io", "", errors);
    }

    /// <summary>kube-apiserver's validateWatchOptions: resourceVersionMatch goes with sendInitialEvents, and is NotOlderThan.</summary>
    private static RequestOptions CheckWatchOptions(IQueryCollection query, RequestOptions options)
    {
        string match = query["resourceVersionMatch"].ToString();
        bool initial = query.ContainsKey("sendInitialEvents");
        var errors = new List<FieldError>();
        if (initial && match != "NotOlderThan")
        {
            errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
        }

        if (match.Length > 0)
        {
            if (!initial)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
            }

            if (match != "NotOlderThan")
            {
                errors.Add(new FieldError(FieldErrorType.NotSupported, "resourceVersionMatch", match, "supported values: \"NotOlderThan\""));
            }

            if (query["continue"].ToString().Length > 0)
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, "resourceVersionMatch", null, "resourceVersionMatch is forbidden when continue is provided"));
            }
        }

        return errors.Count == 0 ? options : throw ApiErrors.Invalid("ListOptions", "meta.k8s.io", "", errors);
    }

    private RequestOptions WithSelectors(IQueryCollection query) => this with
    {
        Labels = LabelSelector.Parse(query["labelSelector"].ToString()),
        Fields = FieldSelector.Parse(query["fieldSelector"].ToString()),
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
