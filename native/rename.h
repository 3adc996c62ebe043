/* native/rename.h — renameBatch (native/rename.c), registered on the addon's exports by scan.c's init. */
#ifndef CRIFS_RENAME_H
#define CRIFS_RENAME_H
#include <node_api.h>

void rb_register(napi_env env, napi_value exports);

#endif
