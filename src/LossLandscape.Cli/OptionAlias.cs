namespace LossLandscape.Cli;

/// <summary>
/// Old option spellings kept as hidden aliases (so existing scripts keep working): the value given under the current
/// name or under the old one; both at once with different values is an error that names both.
/// </summary>
public static class OptionAlias
{
    /// <summary>The value of <paramref name="name"/>, else of its old spelling <paramref name="alias"/>, else null.</summary>
    /// <exception cref="LossLandscapeException">Both are given with different values.</exception>
    public static T? Pick<T>(string name, T? value, string alias, T? aliasValue) where T : class
    {
        if (value is not null && aliasValue is not null && !Equals(value, aliasValue))
            throw new LossLandscapeException($"{name} '{value}' and {alias} '{aliasValue}' name the same option ({alias} is its old spelling) with different values: give only {name}.");
        return value ?? aliasValue;
    }

    /// <summary>The value of <paramref name="name"/>, else of its old spelling <paramref name="alias"/>, else null.</summary>
    /// <exception cref="LossLandscapeException">Both are given with different values.</exception>
    public static T? Pick<T>(string name, T? value, string alias, T? aliasValue) where T : struct
    {
        if (value is T a && aliasValue is T b && !a.Equals(b))
            throw new LossLandscapeException($"{name} {a} and {alias} {b} name the same option ({alias} is its old spelling) with different values: give only {name}.");
        return value ?? aliasValue;
    }
}
