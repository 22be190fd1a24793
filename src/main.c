/* hivesnap - offline snapshots of a microservice platform's state. */
#include "cli.h"
#include "sources/mongo/mongo_common.h"

int main(int argc, char **argv)
{
	hs_mongo_shm_forget();
	return hs_cli_main(argc, argv);
}
