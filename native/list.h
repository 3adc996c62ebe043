/* native/list.h — listStats (native/list.c), registered on the addon's exports by scan.c's init. */
#ifndef CRIFS_LIST_H
#define CRIFS_LIST_H
#include <node_api.h>

void ls_register(napi_env env, napi_value exports);

#endif
