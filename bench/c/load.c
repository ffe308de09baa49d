/* Library load plus client creation, as a till does it at start-up.
 *
 *   load LIBRARY_PATH CONFIG_JSON
 *
 * dlopen(RTLD_NOW) the library, look up jdy_client_new, create a client; prints one JSON
 * line with the microseconds of dlopen and of jdy_client_new. Run it in a fresh process
 * each time: a second dlopen in one process costs nothing. */
#include "common.h"
#include <dlfcn.h>

typedef void *(*client_new_fn)(const char *, char **);
typedef void (*client_free_fn)(void *);

int main(int argc, char **argv) {
    if (argc != 3) die("usage: load LIBRARY_PATH CONFIG_JSON");
    double t0 = now_s();
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    client_new_fn client_new = (client_new_fn)dlsym(lib, "jdy_client_new");
    client_free_fn client_free = (client_free_fn)dlsym(lib, "jdy_client_free");
    if (!client_new || !client_free) die("jdy_client_new/jdy_client_free not exported");
    double t1 = now_s();
    void *client = client_new(argv[2], NULL);
    double t2 = now_s();
    if (!client) die("jdy_client_new failed");
    client_free(client);
    printf("{\"dlopen_us\":%.1f,\"client_new_us\":%.1f,\"total_us\":%.1f}\n",
           (t1 - t0) * 1e6, (t2 - t1) * 1e6, (t2 - t0) * 1e6);
    return 0;
}
