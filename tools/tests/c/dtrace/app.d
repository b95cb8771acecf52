/*
 * The provider of the ust-dtrace tests: every kind of argument a probe can
 * have, named and unnamed, plain and through typedefs.
 */
typedef unsigned int Oid;		/* a typedef of an integer */
typedef struct session session_t;	/* an opaque struct, passed by pointer */

provider app {
	/* Strings (NULL recorded as "(null)") and a typedef'd integer, named. */
	probe query__start(const char *query, Oid db);
	/* Unnamed arguments are recorded as arg0, arg1, ... */
	probe query__done(char *, int, long);
	/* Every C integer width and signedness. */
	probe ints(signed char, unsigned char, short, unsigned short, int,
		unsigned int, long long, unsigned long long);
	/* Fixed-width integers, known without any header. */
	probe fixed(int8_t, uint16_t, int32_t, uint64_t, size_t);
	/* Other pointers: recorded as addresses, in hexadecimal. */
	probe ptrs(void *addr, session_t *session, const char **argv);
	probe flag(bool on, double ratio);
	probe tick();
	/* Fired from the shared library. */
	probe lib__call(const char *who, int n);
};

#pragma D attributes Evolving/Evolving/Common provider app provider
#pragma D attributes Private/Private/Unknown provider app module
#pragma D attributes Evolving/Evolving/Common provider app args
