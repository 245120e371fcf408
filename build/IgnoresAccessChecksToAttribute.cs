// The runtime honours this attribute (declared by name in the assembly that uses it): it lets this
// assembly reach the internals of the named assemblies. Compiled into projects that import
// build/MLNetInternals.targets.
namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName)
        {
            AssemblyName = assemblyName;
        }

        public string AssemblyName { get; }
    }
}
