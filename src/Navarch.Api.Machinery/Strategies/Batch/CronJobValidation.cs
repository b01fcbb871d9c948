using k8s.Models;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Batch;

/// <summary>Kubernetes' <c>ValidateCronJob</c>.</summary>
internal static class CronJobValidation
{
    private static readonly SupportedValues ConcurrencyPolicies = new("Allow", "Forbid", "Replace");

    /// <summary>The schedule parses (without TZ), the time zone exists, and the job template is a valid Job's.</summary>
    public static IEnumerable<FieldError> Validate(V1CronJob c)
    {
        if (string.IsNullOrWhiteSpace(c.Spec?.Schedule))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.schedule", null, "");
        }
        else if (c.Spec.Schedule.Contains("TZ", StringComparison.Ordinal))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.schedule", c.Spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        }
        else if (CronSchedule.Parse(c.Spec.Schedule) is null)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.schedule", c.Spec.Schedule, "unparseable schedule");
        }

        if (c.Spec?.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.timeZone", zone, "unknown time zone " + zone);
        }

        if (c.Spec?.ConcurrencyPolicy is { } policy && ConcurrencyPolicies.Check("spec.concurrencyPolicy", policy) is { } badPolicy)
        {
            yield return badPolicy;
        }

        const string template = "spec.jobTemplate.spec.template.spec";
        V1PodSpec? spec = c.Spec?.JobTemplate?.Spec?.Template?.Spec;
        foreach (FieldError e in JobValidation.RestartPolicy(spec, template).Concat(PodValidation.ValidateTemplateSpec(spec, template)))
        {
            yield return e;
        }
    }
}
